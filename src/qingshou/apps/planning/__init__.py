"""Optimised daily plans (issue 8): today's candidate actions, capacity, the optimised plan against the greedy one."""
