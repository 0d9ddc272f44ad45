"""The network a client address belongs to, for noticing sign-ins from new places."""

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def network_of(address: str | None) -> str | None:
    """``a.b.c.0/24`` for IPv4, the /48 for IPv6, None when ``address`` is not an IP address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def throttle_key(address: str | None) -> str:
    """What sign-in throttling counts by: an IPv4 address, an IPv6 /64 (what one host or
    customer holds, so rotating within it evades nothing), or the text given if not an IP."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 4:
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))
