/* The one list of unit-test tables: X(table) for each tests/unit/test_*.c.
 * Add a line here when adding a test file. */
X(test_base_cases)
X(test_crc32c_cases)
X(test_blake3_cases)
X(test_hex_cases)
X(test_sats_type_cases)
X(test_bsatn_cases)
X(test_sats_json_cases)
X(test_sats_print_cases)
X(test_identity_cases)
X(test_server_cases)
