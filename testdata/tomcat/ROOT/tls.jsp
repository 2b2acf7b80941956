<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" %><%
// What the AJP TLS fields and attributes (is_ssl, ssl_cert, ssl_cipher, ssl_session, ssl_key_size,
// AJP_SSL_PROTOCOL) became in the servlet API.
java.security.cert.X509Certificate[] certs =
  (java.security.cert.X509Certificate[]) request.getAttribute("jakarta.servlet.request.X509Certificate");
out.print("secure=" + request.isSecure() + "\nscheme=" + request.getScheme() +
  "\ncipher_suite=" + request.getAttribute("jakarta.servlet.request.cipher_suite") +
  "\nkey_size=" + request.getAttribute("jakarta.servlet.request.key_size") +
  "\nssl_session_id=" + request.getAttribute("jakarta.servlet.request.ssl_session_id") +
  "\nprotocol=" + request.getAttribute("org.apache.tomcat.util.net.secure_protocol_version") +
  "\ncerts=" + (certs == null ? 0 : certs.length) + "\n");
if (certs != null) for (int i = 0; i < certs.length; i++)
  out.print("cert." + i + "=" + certs[i].getSubjectX500Principal().getName() + "\n");
%>
