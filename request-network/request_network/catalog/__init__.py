"""The catalog's read-only copy: what users here may submit, validated locally."""
