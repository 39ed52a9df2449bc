// Package logs renders web server access logs from the warehouse.
//
// Which instant a line stands for: servers write a line when the response
// is finished, so their logs are ordered by completion. spanlake orders
// lines the same way, by the capture time of the response's last byte (the
// request's last byte when no response was seen), and filters --from/--to
// on that instant. Each format then stamps the time its server would:
// nginx's $time_local is the time the line is written (the response's last
// byte); Apache's %t is the time the request was received (its first byte).
//
// Escaping follows the server whose format is rendered, byte for byte, so
// attacker-controlled URIs or headers cannot inject log lines.
package logs
