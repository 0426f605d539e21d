"""A python-zeroconf peer of the handbook's mDNS service, for tests/mdns.rs.

    python3 zeroconf_peer.py ADDRESS PEER TOPIC PORT

Announces PEER for TOPIC on PORT with python-zeroconf (https://github.com/python-zeroconf/python-zeroconf),
on the interface that has ADDRESS only, and browses the same service type, printing
`joined PEER TOPIC PORT ADDR...` and `left PEER` as the others come and go. A line `bye`
on standard input unregisters (python-zeroconf sends the goodbye, TTL 0) and keeps
browsing; the end of standard input stops it.
"""

import socket
import sys

from zeroconf import ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

SERVICE_TYPE = "_p2p-handbook._udp.local."


def say(line):
    print(line, flush=True)


def main():
    address, peer, topic, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    zc = Zeroconf(interfaces=[address])
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{peer}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton(address)],
        port=port,
        properties={"peer": peer, "topic": topic},
        server=f"{peer}.local.",
    )
    zc.register_service(info)
    names = {}

    def on_change(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added:
            found = zeroconf.get_service_info(service_type, name, timeout=3000)
            if found is None or name == info.name:
                return
            props = {k.decode(): (v or b"").decode() for k, v in found.properties.items()}
            names[name] = props.get("peer", "?")
            addrs = " ".join(found.parsed_addresses())
            say(f"joined {props.get('peer')} {props.get('topic')} {found.port} {addrs}")
        elif state_change is ServiceStateChange.Removed and name in names:
            say(f"left {names.pop(name)}")

    ServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change])
    say("started")
    for line in sys.stdin:
        if line.strip() == "bye":
            zc.unregister_service(info)
            say("unregistered")
    zc.close()
    say("stopped")


if __name__ == "__main__":
    main()
