"""Turning reports into action: action plans, sharing with viewers, response tracking."""
