"""The request register: incoming and outgoing MLA and extradition requests, their
lifecycle, persons, documents, deadlines and links.

    domain.py        pure values and rules (lifecycle, deadlines, the overdue rule); no I/O
    schemas.py       what a client sends (Pydantic, unknown fields refused)
    read_models.py   what a client reads: the one serialiser of a request (summary, detail)
    models.py        the tables (SQLAlchemy)
    access.py        need-to-know on one request, and the audit entry of an act on it
    registration.py  registering a request (idempotent, bulk insert, person index)
    service.py       reading and changing: read, update, transitions, links, assignments
    documents.py     a request's documents (and a request registered with its files)
    queries.py       lists, filters and the dashboard's counts
"""
