"""The canonical B2B data model: one vocabulary and one schema every connector maps into."""
