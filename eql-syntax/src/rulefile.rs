//! Rule files: `.eql` with a leading TOML comment block, and Elastic detection-rules `.toml`.
