"""The transfer protocol's moving parts: export, import, acknowledgements, quarantine."""
