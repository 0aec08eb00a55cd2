"""The request register: incoming and outgoing MLA and extradition requests, their
lifecycle, persons, documents, deadlines and links."""
