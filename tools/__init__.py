"""Tools that are not part of the portal people use: the benchmark (`manage.py bench`, `make bench`)."""
