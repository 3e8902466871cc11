"""Use cases: functions of (command, unit of work) that apply the domain rules."""
