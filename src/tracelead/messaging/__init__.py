"""Email (invitations, reminders, notices) through an outbox, and background jobs."""
