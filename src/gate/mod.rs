//! See DESIGN.md; built by the issue that owns this stage.
