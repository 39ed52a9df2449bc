// Package logs renders web server access logs from the warehouse: nginx
// (log_format variables, escape=default|json|none), Apache httpd
// (mod_log_config directives), IIS W3C extended, and JSON lines.
//
// Which instant a line stands for: servers write a line when the response
// is finished, so their logs are ordered by completion. spanlake orders
// lines the same way, by the capture time of the response's last byte (the
// request's last byte when no response was seen), and filters --from/--to
// on that instant. Each format then stamps the time its server would:
// nginx's $time_local is the time the line is written (the response's last
// byte); Apache's %t is the time the request was received (its first byte);
// IIS's date/time is the completion, in UTC.
//
// Escaping follows the server whose format is rendered, byte for byte, so
// attacker-controlled URIs or headers cannot inject log lines.
//
// Reading is streaming (see Exchanges): fact files are merged by request
// time and reordered by completion in a buffer bounded by the number of
// exchanges in flight, so a month renders in the memory of a minute.
//
// The package reads the warehouse; it does not know how captures are
// parsed, and never writes into the warehouse.
package logs
