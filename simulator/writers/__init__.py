"""Writers: the dataset folder (atomic per-sample files + manifest) and the COCO export."""
