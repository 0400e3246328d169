#!/usr/bin/env python3
"""fcgi_get.py HOST PORT SOURCE PATH: one FastCGI GET of PATH to HOST:PORT, spoken from the local
address SOURCE (e.g. 127.0.0.2), without nginx. Prints the application's answer (its stdout
records) or `closed` when the server closed the connection without answering; `refused` when it
could not connect. Timeouts are 10 s."""
import socket
import struct
import sys


def record(kind, content, request_id=1):
    return struct.pack(">BBHHBx", 1, kind, request_id, len(content), 0) + content


def pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def main():
    host, port, source, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    params = {"REQUEST_METHOD": "GET", "REQUEST_URI": path, "DOCUMENT_URI": path, "QUERY_STRING": "",
              "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": source, "HTTP_HOST": "localhost"}
    body = b"".join(pair(k.encode(), v.encode()) for k, v in params.items())
    message = (record(1, struct.pack(">HB5x", 1, 0)) + record(4, body) + record(4, b"") + record(5, b""))
    connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    connection.settimeout(10)
    connection.bind((source, 0))
    try:
        connection.connect((host, port))
    except OSError:
        print("refused")
        return 0
    try:
        connection.sendall(message)
    except OSError:
        pass
    data = b""
    try:
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    out = b""
    while len(data) >= 8:
        _, kind, _, length, padding = struct.unpack(">BBHHB", data[:7])
        if kind == 6:
            out += data[8:8 + length]
        data = data[8 + length + padding:]
    print(out.decode("utf-8", "replace") if out else "closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
