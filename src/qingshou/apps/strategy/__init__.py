"""The strategy app: Collection strategies: versioned YAML files, segments, treatment paths, champion / challenger."""
