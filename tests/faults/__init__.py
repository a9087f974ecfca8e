"""Fault tests: real faults injected into real processes, each ending with nothing lost and nothing sent
for a booking cancelled or moved during the fault. See docs/faults.md."""
