"""The collective leadership strategy: a board's workspace for the culture it wants, its
behaviour framework and its leadership inventory (positions and succession)."""
