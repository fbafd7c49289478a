"""Where audit records come from and go to: Kafka topics and JSONL exports."""
