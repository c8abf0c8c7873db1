"""Act: alerts, notifications, reports and the PDCA action log with measured effect."""
