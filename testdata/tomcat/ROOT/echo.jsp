<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" isErrorPage="true" import="java.security.MessageDigest,java.io.*,java.util.HexFormat" %><%
// Reads the raw request body: its length, sha256 and (with ?body) the bytes.
// isErrorPage lifts Jasper's GET/POST/HEAD-only rule so any method reaches it.
String q = request.getQueryString() == null ? "" : request.getQueryString();
MessageDigest md = MessageDigest.getInstance("SHA-256");
InputStream in = request.getInputStream();
ByteArrayOutputStream keep = new ByteArrayOutputStream();
byte[] buf = new byte[65536];
long n = 0;
for (int r; (r = in.read(buf)) > 0; ) {
  md.update(buf, 0, r); n += r;
  if (q.contains("body") && keep.size() < (1 << 20)) keep.write(buf, 0, r);
}
String h = request.getParameter("header");
out.print("node=" + System.getProperty("rig.node") + "\nmethod=" + request.getMethod() + "\nlen=" + n +
  "\ncl=" + request.getContentLengthLong() + "\nsha256=" + HexFormat.of().formatHex(md.digest()) +
  "\nheader=" + (h == null ? "" : request.getHeader(h)) + "\nbody=" + keep.toString("ISO-8859-1"));
%>
