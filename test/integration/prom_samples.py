#!/usr/bin/env python3
"""prom_samples.py: reads a /metrics answer on stdin, parses it with the Prometheus client library
(Debian's python3-prometheus-client, the parser scrapers are built on) and prints every sample
as `name{label="value",...}<TAB>value`, labels sorted by name, integral values without a
fraction; then `# family NAME TYPE` for each family. Exits 1 when the text does not parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as error:  # the parser raises ValueError and friends on bad text
        print(f"does not parse: {error}", file=sys.stderr)
        return 1
    for family in families:
        print(f"# family {family.name} {family.type}")
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            value = sample.value
            shown = str(int(value)) if float(value).is_integer() else repr(value)
            print(f"{sample.name}{{{labels}}}\t{shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
