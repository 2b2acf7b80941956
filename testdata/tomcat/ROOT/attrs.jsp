<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" %><%
// What the AJP fields and attributes became; ?a=Name (repeatable) prints request.getAttribute(Name).
out.print("node=" + System.getProperty("rig.node") + "\nremotePort=" + request.getRemotePort() +
  "\nremoteAddr=" + request.getRemoteAddr() + "\nlocalAddr=" + request.getLocalAddr() +
  "\nsecure=" + request.isSecure() + "\nscheme=" + request.getScheme() +
  "\nserverName=" + request.getServerName() + "\nserverPort=" + request.getServerPort() +
  "\nJK_LB_ACTIVATION=" + request.getAttribute("JK_LB_ACTIVATION") + "\n");
String[] as = request.getParameterValues("a");
if (as != null) for (String a : as) out.print("attr." + a + "=" + request.getAttribute(a) + "\n");
%>
