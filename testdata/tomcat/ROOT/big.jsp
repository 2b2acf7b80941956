<%@ page session="false" trimDirectiveWhitespaces="true" %><%
// Streams ?size=N bytes, byte i = i % 251; ?cl=1 also sets Content-Length.
long size = Long.parseLong(request.getParameter("size"));
response.setContentType("application/octet-stream");
if (request.getParameter("cl") != null) response.setContentLengthLong(size);
java.io.OutputStream os = response.getOutputStream();
byte[] buf = new byte[251 * 64];
for (int i = 0; i < buf.length; i++) buf[i] = (byte) (i % 251);
for (long sent = 0; sent < size; ) {
  int k = (int) Math.min(buf.length, size - sent);
  os.write(buf, 0, k); sent += k;
}
os.flush();
%>
