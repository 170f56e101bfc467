"""Reports: the group report, many groups at once, and their exports (PDF, Excel, CSV)."""
