"""Write-off (核销): eligibility, maker-checker approval, off-balance tracking and recovery after write-off (账销案存, issue 6)."""
