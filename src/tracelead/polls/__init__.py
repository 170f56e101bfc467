"""Live polls at academy events: questions, votes, the presenter view and the TRACE pulse."""
