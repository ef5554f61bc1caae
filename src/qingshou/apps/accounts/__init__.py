"""The accounts app: People and access: roles (groups with permissions), teams, agencies, profiles, row-level scoping and the reveal of personal data."""
