"""Synthetic loan books in the extract format that ``qingshou load`` reads (``qingshou simulate``).

An adapter over the domain: products are validated ``ProductPolicy`` values, every schedule comes from
``qingshou.domain.schedule.build_schedule``, and the borrowers' behaviour (on time, late, partial, cured,
defaulted, early payoff, over-payment) is drawn from latent willingness and payment burden. The same
configuration always writes the same bytes.
"""

from qingshou.simulate.simulation import (
    CHUNK_LOANS,
    SimulationConfig,
    SimulationError,
    SimulationSummary,
    simulate_book,
)

__all__ = ["CHUNK_LOANS", "SimulationConfig", "SimulationError", "SimulationSummary", "simulate_book"]
