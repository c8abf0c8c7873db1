"""The two stores: the Ibis warehouse and the SQLAlchemy app database."""
