"""The demo: generated people and activities, as CSV files or in the emulators."""
