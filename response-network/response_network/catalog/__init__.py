"""The catalog: request types, profiles and per-user grants, owned here and synced across."""
