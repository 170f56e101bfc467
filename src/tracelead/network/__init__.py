"""Relationships: the connections between an academy's members, recorded by the members,
at events and by import; their measures come from :mod:`tracelead.analysis.network`."""
