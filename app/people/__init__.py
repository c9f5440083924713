"""The registry of people we train, independent of any activity."""
