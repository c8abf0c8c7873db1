"""Who may do what: users, roles (admin, editor, viewer) and departments, sessions, API tokens and
the audit log, kept in the app DB. The web app and the CLI both call `Accounts`; nothing here knows
about HTTP, so the same rules hold for every way in."""
