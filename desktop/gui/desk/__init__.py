"""The desk: the main window, the login and first-run pages, search, the patient's card, its documents
and the MRZ scan, the decision panel."""
