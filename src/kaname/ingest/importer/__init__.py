"""File import: read (readers), map headers (mapping), validate (parse), upsert (load)."""
