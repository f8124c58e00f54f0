"""Measurement under the 2PL model (Rasch until an item is calibrated), as plain functions of
numbers: online item calibration, exposure control, rapid-guess and person-fit flags. The services
store what these compute; docs/PSYCHOMETRICS.md states the model, the priors and the update rules."""
