"""Screening: refusal grounds, safeguards and completeness as rules that cite their
articles. The system finds and explains; a person decides."""
