"""Live chat for visitors of a website: the widget's inbox settings, visitor identity,
and the actions a visitor can take (SCENARIOS B1, B5, A2)."""
