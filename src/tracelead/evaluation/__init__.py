"""Evaluation of an academy's programmes on Kirkpatrick's four levels."""
