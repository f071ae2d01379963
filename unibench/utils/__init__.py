"""Helpers every layer may use (no model, data or reporting code)."""
