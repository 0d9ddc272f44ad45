"""The network a client address belongs to, for noticing sign-ins from new places and for
throttling sign-in attempts."""

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48
IPV6_THROTTLE_PREFIX = 64
"""What one host or customer holds: rotating addresses within it evades no throttle."""


def network_of(address: str | None) -> str | None:
    """``a.b.c.0/24`` for IPv4, the /48 for IPv6, None when ``address`` is not an IP address."""
    ip = _ip(address)
    if ip is None:
        return None
    return _network(ip, IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX)


def throttle_key(address: str | None) -> str:
    """What sign-in throttling counts by: an IPv4 address, an IPv6 /64, or the text given if
    not an IP address."""
    ip = _ip(address)
    if ip is None:
        return (address or "unknown")[:64]
    return str(ip) if ip.version == 4 else _network(ip, IPV6_THROTTLE_PREFIX)


def _ip(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, an IPv4-mapped IPv6 one as its IPv4 address; None when not an address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _network(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int) -> str:
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
