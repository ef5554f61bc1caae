"""Outside collection agencies (委外): register, contracts and commission tiers, placements and recall, the agency portal, commission and ranking (issue 6)."""
