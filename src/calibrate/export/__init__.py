"""What leaves calibrate: weight files, the agreement page, rules lists, SQL, vendor files."""
