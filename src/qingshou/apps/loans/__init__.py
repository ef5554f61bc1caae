"""The loans app: reference data (products, calendar overrides) and the loan book (borrowers, loans,
installments, payments, charges, derived allocations), plus the load service that imports core extracts."""
