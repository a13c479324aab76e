import LipIOFuzz
