"""Design: plans (KGI, KPI tree, targets), planner and lint. Pure domain code, no I/O."""
