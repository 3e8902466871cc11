"""Tracking providers: the `TrackingProvider` port, 17TRACK API v2.2 (client and push), and the
simulated provider the sandbox, the tests and the benchmarks use.

- `provider`: the Protocol and the errors a provider call raises.
- `seventeen_track`: the aiohttp client with its per-endpoint limiter.
- `seventeen_track_payloads`: 17TRACK's request and response shapes, pure.
- `seventeen_track_push`: sign verification, push parsing, the aiohttp push handler.
- `simulated`, `simulated_journeys`: realistic, deterministic parcel journeys on a clock.
- `factory`: `make_tracking_provider`, the configured one.
"""
