"""The sandbox's guided demo: scripted flows played step by step in the web chat.

- ``flows``: the flows, as data (what each persona does, what the bot answers)
- ``steps``: the vocabulary flows are written in (``DemoStep``, ``DemoFlow``, ``Persona``)
- ``runner``: ``DemoRunner``, which plays them through a ``DemoDriver``
- ``sample_files``: the files the demo uploads
"""

from sandbox.demo.flows import (
    DELIVERY_FAILED,
    FAILING_TRACKING_NUMBER,
    FLOWS,
    ORDER_NUMBER,
    ORDER_SHIPPED,
    PARCEL_DELIVERED,
    RETURN_NEGOTIATED,
    RETURN_ORDER_NUMBER,
    SECOND_ORDER_NUMBER,
    SELLER_REGISTRATION,
    TRACKING_NUMBER,
    WAREHOUSE_APPROVED,
    WAREHOUSE_NAME,
)
from sandbox.demo.runner import DemoDriver, DemoFailed, DemoRunner, DemoStatus
from sandbox.demo.sample_files import SAMPLE_FILES, SampleFile
from sandbox.demo.steps import DemoAction, DemoFlow, DemoStep

__all__ = [
    "DELIVERY_FAILED",
    "FAILING_TRACKING_NUMBER",
    "FLOWS",
    "ORDER_NUMBER",
    "ORDER_SHIPPED",
    "PARCEL_DELIVERED",
    "RETURN_NEGOTIATED",
    "RETURN_ORDER_NUMBER",
    "SAMPLE_FILES",
    "SECOND_ORDER_NUMBER",
    "SELLER_REGISTRATION",
    "TRACKING_NUMBER",
    "WAREHOUSE_APPROVED",
    "WAREHOUSE_NAME",
    "DemoAction",
    "DemoDriver",
    "DemoFailed",
    "DemoFlow",
    "DemoRunner",
    "DemoStatus",
    "DemoStep",
    "SampleFile",
]
